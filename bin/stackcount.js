#!/usr/bin/env node
require('./load.js').runTool('stackcount', process.argv.slice(2));
