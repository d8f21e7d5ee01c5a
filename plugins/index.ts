/** Ironclad's own PostGraphile plugins, in the order they apply. */
export function ironcladPlugins(_options: { introspection: boolean }): GraphileConfig.Plugin[] {
  return [];
}
