#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main('argdist', process.argv.slice(2));
