#!/usr/bin/env node
require('./load.js').runTool('funclatency', process.argv.slice(2));
