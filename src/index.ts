/** stepwise: a TypeScript lab for deep-learning optimization on TensorFlow.js. */
export const version: string = require("../../package.json").version;
export * from "./data";
