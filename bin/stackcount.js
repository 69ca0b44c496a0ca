#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main('stackcount', process.argv.slice(2));
