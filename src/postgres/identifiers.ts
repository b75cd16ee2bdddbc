/** Quotes a name as a PostgreSQL identifier, so any name is safe in any statement. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a value as a PostgreSQL string literal (standard_conforming_strings on, the default since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface TableName {
  schema: string;
  name: string;
}

export function qualifiedName(table: TableName): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/** schema.name as people write it, for reports. */
export function displayName(table: TableName): string {
  const part = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : quoteIdent(name));
  return `${part(table.schema)}.${part(table.name)}`;
}
