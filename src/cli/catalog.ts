/**
 * What the command line knows of each action: its action.yml, read when the bundle is built (so
 * the single file needs nothing beside it), and its run().
 */
export interface CliInput {
  name: string;
  description: string;
  required: boolean;
  /** action.yml's default, as written (an expression such as `${{ github.token }}` included). */
  default?: string;
}

export interface CliOutput {
  name: string;
  description: string;
}

export interface CliAction {
  name: string;
  description: string;
  inputs: CliInput[];
  outputs: CliOutput[];
  run: () => Promise<void>;
}

export interface CliCatalog {
  version: string;
  actions: CliAction[];
}
