// esbuild bundles the style sheets the entry imports into the console's one CSS file.
declare module '*.css';
