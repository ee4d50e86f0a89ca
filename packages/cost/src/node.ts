/**
 * Node-only entry: loading device profiles from JSON files (browsers use the bundled profiles by
 * name, or pass a parsed profile object).
 */
import { readFileSync } from 'node:fs';
import { type DeviceProfile, getProfile, listProfiles, parseDeviceProfile } from './profiles.js';

/**
 * A device profile by built-in name ('bitfusion') or by path to a JSON file ('./my-npu.json').
 * A string containing a path separator or ending in '.json' is a path.
 */
export function loadProfile(nameOrPath: string): DeviceProfile {
  const isPath = /[/\\]/.test(nameOrPath) || nameOrPath.endsWith('.json');
  if (!isPath) return getProfile(nameOrPath);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (error) {
    throw new Error(`loadProfile: cannot read device profile '${nameOrPath}': ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `loadProfile: device profile '${nameOrPath}' is not valid JSON: ${(error as Error).message}`,
    );
  }
  return parseDeviceProfile(json, `'${nameOrPath}'`);
}

export { listProfiles };
