#!/usr/bin/env node
import { main } from '../dist/multitools/main.js';
await main('funclatency', process.argv.slice(2));
