#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main(undefined, process.argv.slice(2));
