#!/usr/bin/env node
require('./load.js').runTool('argdist', process.argv.slice(2));
