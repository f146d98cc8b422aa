#!/usr/bin/env node
"use strict";
require("../dist/cli/main").main(process.argv).catch((error) => {
  console.error(`stepwise: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = process.exitCode || 1;
});
