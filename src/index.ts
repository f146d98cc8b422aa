/** stepwise: a TypeScript lab for deep-learning optimization on TensorFlow.js. */
export const version: string = require("../../package.json").version;
export * from "./schedule";
export * from "./optim";
export * from "./accumulate";
export * from "./data";
export * from "./train";
export * from "./experiments";
export * from "./backend";
export * from "./plot";
export * from "./host";
