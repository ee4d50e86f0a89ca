/** Node-only parts of the runner: backend selection through Dawn, dataset directories, run directories. */
export { selectBackend, type SelectedBackend } from './node-backend.js';
