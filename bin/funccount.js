#!/usr/bin/env node
require('./load.js').runTool('funccount', process.argv.slice(2));
