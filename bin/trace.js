#!/usr/bin/env node
require('./load.js').runTool('trace', process.argv.slice(2));
