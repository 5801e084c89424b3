import { describe, expect, it } from 'vitest';
import { DEMO_DIALOG_FLOWS } from '../demo/dialogFlows.js';
import { DEFAULT_DIALOG_FLOW, DialogFlowDefinition, dialogFlowProblems } from './dialogFlow.js';

/*
 * docs/dialog-flow.schema.json is the flow format's schema (domain/dialogFlow.ts) as JSON Schema,
 * for editors and other tools: written from the TypeBox schema, so it cannot drift
 * (`npx vitest run src/domain/dialogFlowSchema.test.ts -u` rewrites it after a change).
 */

describe('the dialog-flow format', () => {
  it('is published as JSON Schema in docs/', async () => {
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...DialogFlowDefinition };
    await expect(`${JSON.stringify(schema, null, 2)}\n`).toMatchFileSnapshot('../../docs/dialog-flow.schema.json');
  });

  it('holds the flows outcall ships', () => {
    for (const f of [...DEMO_DIALOG_FLOWS, DEFAULT_DIALOG_FLOW])
      expect(dialogFlowProblems(f.script), f.name).toEqual([]);
  });
});
