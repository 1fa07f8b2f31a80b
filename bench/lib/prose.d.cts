// Types of prose.cjs for the TypeScript benchmark scripts.
export declare const PARAGRAPH: string;
export declare function proseOfLength(bytes: number): string;
