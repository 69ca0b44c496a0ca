#!/usr/bin/env node
require('./load.js').runPolytrace(process.argv.slice(2));
