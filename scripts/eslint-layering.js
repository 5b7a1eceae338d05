// A small ESLint plugin for the house layering (ARCHITECTURE.md): which folder may import which.
// It resolves relative import paths itself (no resolver, no native dependency) and checks them
// against zones: a file under `target` may not import a file under `from`, unless it is under
// one of `except` (paths relative to `from`).
import path from 'node:path';

/** @type {import('eslint').Rule.RuleModule} */
const restrictedPaths = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the dependency direction between top-level folders' },
    schema: [
      {
        type: 'object',
        properties: {
          basePath: { type: 'string' },
          zones: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                target: { type: 'string' },
                from: { type: 'string' },
                except: { type: 'array', items: { type: 'string' } },
                message: { type: 'string' },
              },
              required: ['target', 'from', 'message'],
              additionalProperties: false,
            },
          },
        },
        required: ['basePath', 'zones'],
        additionalProperties: false,
      },
    ],
  },
  create(context) {
    const { basePath, zones } = context.options[0];
    const inside = (file, dir) => {
      const relative = path.relative(path.resolve(basePath, dir), file);
      return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
    };
    const file = context.filename;
    const active = zones.filter((zone) => inside(file, zone.target));
    if (active.length === 0) return {};

    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const imported = path.resolve(path.dirname(file), specifier);
      for (const zone of active) {
        if (!inside(imported, zone.from)) continue;
        const fromDir = path.resolve(basePath, zone.from);
        if ((zone.except ?? []).some((except) => inside(imported, path.relative(basePath, path.resolve(fromDir, except))))) continue;
        context.report({ node, message: `Unexpected path "${specifier}" imported in restricted zone. ${zone.message}` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export default { meta: { name: 'kbench-layering' }, rules: { 'restricted-paths': restrictedPaths } };
