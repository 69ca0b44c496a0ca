#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main('trace', process.argv.slice(2));
