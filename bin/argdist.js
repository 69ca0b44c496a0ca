#!/usr/bin/env node
import { main } from '../dist/cli/main.js';
await main('argdist', process.argv.slice(2));
