// Types for the classic-script build (csrfkit.global.js): a global `csrfkit`.
// Use with `/// <reference path="node_modules/csrfkit/csrfkit.global.d.ts" />` or list it in tsconfig "files".
declare var csrfkit: typeof import('./csrfkit.js')
