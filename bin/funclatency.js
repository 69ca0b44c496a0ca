#!/usr/bin/env node
import { loadCli } from './load.js';
await loadCli().main('funclatency', process.argv.slice(2));
