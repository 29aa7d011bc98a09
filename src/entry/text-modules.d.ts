// Files the Worker's bundle holds as text (wrangler.toml [[rules]] of type Text): see worker-docs-assets.ts.
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}
declare module '*/swagger-init.js' {
  const text: string;
  export default text;
}
