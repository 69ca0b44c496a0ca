#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main('argdist', process.argv.slice(2));
