// The product version, inlined by esbuild from package.json (tests running from source see 'dev').
declare const GATEKIT_VERSION: string | undefined;

export const gatekitVersion: string = typeof GATEKIT_VERSION === 'string' ? GATEKIT_VERSION : 'dev';
