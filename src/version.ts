/** dr-actions' own version, recorded in manifests and reports; a unit test keeps it equal to package.json. */
export const TOOL_NAME = 'dr-actions';
export const TOOL_VERSION = '1.0.0';
