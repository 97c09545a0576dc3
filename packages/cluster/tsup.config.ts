export { libraryBuild as default } from '../../tsup.shared.js';
