// Moved to src/composition.ts (the app's one composition root); this re-export stays only until
// functions/fineTuneOrchestrator.ts imports getServices from there.
export { getServices, type Services } from '../composition.js';
