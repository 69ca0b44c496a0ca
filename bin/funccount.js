#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main('funccount', process.argv.slice(2));
