#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main('stackcount', process.argv.slice(2));
