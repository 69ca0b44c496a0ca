#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main('trace', process.argv.slice(2));
