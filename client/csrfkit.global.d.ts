// Types for the classic-script build: `/// <reference types="csrfkit/global" />`.
declare var csrfkit: typeof import('./csrfkit.js')
