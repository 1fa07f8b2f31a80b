// Opens a sign-in page in the user's browser when the machine has one, never through a shell: the
// URL comes from an authorization server's metadata, so it is one argv element of a fixed opener.
import { spawn } from 'node:child_process';

/** The opener of each platform and how it takes the URL (as a single argument, no shell involved). */
function opener(platform: NodeJS.Platform, url: string): { command: string; args: string[] } {
  // `start` is a cmd.exe builtin (a shell, which would interpret & and ^ in the URL): rundll32 is not.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  if (platform === 'darwin') return { command: 'open', args: [url] };
  return { command: 'xdg-open', args: [url] };
}

/**
 * Tries to open `url` (an http(s) URL already checked by the caller); resolves whether the opener
 * started. A machine without one (a server, a container) is normal: the URL is printed anyway.
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return Promise.resolve(false);
  const { command, args } = opener(platform, parsed.href);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: 'ignore', detached: true, shell: false, windowsHide: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
