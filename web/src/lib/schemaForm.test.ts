import { describe, expect, it } from 'vitest';
import { errorTree, fieldOrder, fieldId, fieldLabel, humanReason, inputProblems, matches, pointerPath, serverValidator, toPointer } from './schemaForm';

const announce = {
  type: 'object',
  required: ['message'],
  properties: {
    message: { type: 'string', title: 'Message', minLength: 1 },
    times: { type: 'integer', title: 'How many times', maximum: 5 },
    loud: { type: 'boolean' },
  },
};

describe('pointerPath', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['/', []],
    ['/message', ['message']],
    ['/a~1b/0/c~0d', ['a/b', '0', 'c~d']],
    ['#/x', ['x']],
  ])('%s', (p, want) => {
    expect(pointerPath(p)).toEqual(want);
  });
  it('round-trips with toPointer', () => {
    expect(toPointer(['a/b', '0', 'c~d'])).toBe('/a~1b/0/c~0d');
    expect(pointerPath(toPointer(['a/b', 'c~d']))).toEqual(['a/b', 'c~d']);
  });
});

describe('humanReason', () => {
  it.each([
    ['minLength: got 0, want 1', 'Must be at least 1 character long.'],
    ['maxLength: got 250, want 200', 'Must be at most 200 characters long (it is 250).'],
    ['maximum: got 9, want 5', 'Must be 5 or less (got 9).'],
    ['minimum: got 0, want 1', 'Must be 1 or more (got 0).'],
    ['got string, want integer', 'Must be an integer (got a string).'],
    ["missing property 'message'", 'Required.'],
    ['does not match pattern', 'Does not match pattern.'],
  ])('%s', (r, want) => {
    expect(humanReason(r)).toBe(want);
  });
});

describe('inputProblems', () => {
  it('reads the server answer, moving missing properties to their field', () => {
    const errs = [
      { message: 'input of example.announce: …', extensions: { code: 'BAD_USER_INPUT', fields: [
        { field: '', reason: "missing property 'message'" },
        { field: '', reason: "additional properties 'extra' not allowed" },
        { field: '/times', reason: 'maximum: got 9, want 5' },
      ] } },
      { message: 'other', extensions: { code: 'FORBIDDEN' } },
    ];
    expect(inputProblems(errs)).toEqual([
      { field: '/message', message: 'Required.' },
      { field: '', message: "Additional properties 'extra' not allowed." },
      { field: '/times', message: 'Must be 5 or less (got 9).' },
    ]);
  });
  it('takes extensions.field too', () => {
    expect(inputProblems([{ message: 'bad name', extensions: { code: 'BAD_USER_INPUT', field: '/name' } }])).toEqual([{ field: '/name', message: 'Bad name.' }]);
  });
  it('splits several missing properties', () => {
    const got = inputProblems([{ message: 'x', extensions: { code: 'BAD_USER_INPUT', fields: [{ field: '/db', reason: "missing properties 'a', 'b'" }] } }]);
    expect(got.map((p) => p.field)).toEqual(['/db/a', '/db/b']);
  });
});

describe('errorTree', () => {
  it('nests problems as rjsf extraErrors', () => {
    expect(
      errorTree([
        { field: '/message', message: 'Required.' },
        { field: '/times', message: 'a' },
        { field: '/times', message: 'b' },
        { field: '/list/0/name', message: 'c' },
        { field: '', message: 'root' },
      ]),
    ).toEqual({ __errors: ['root'], message: { __errors: ['Required.'] }, times: { __errors: ['a', 'b'] }, list: { 0: { name: { __errors: ['c'] } } } });
  });
});

describe('fieldLabel and fieldId', () => {
  it('names a field by its title', () => {
    expect(fieldLabel(announce, '/times')).toBe('How many times');
    expect(fieldLabel(announce, '/loud')).toBe('loud');
    expect(fieldLabel(announce, '')).toBe('Input');
    expect(fieldLabel({ properties: { l: { items: { properties: { n: { title: 'Name' } } } } } }, '/l/2/n')).toBe('Name');
  });
  it('gives rjsf ids', () => {
    expect(fieldId('/message')).toBe('root_message');
    expect(fieldId('/l/0/n')).toBe('root_l_0_n');
  });
});

describe('matches', () => {
  it.each<[unknown, unknown, boolean]>([
    [{ type: 'string' }, 'x', true],
    [{ type: 'string' }, 1, false],
    [{ type: 'number' }, 1, true],
    [{ type: 'integer' }, 1.5, false],
    [{ const: 'a' }, 'a', true],
    [{ enum: ['a', 'b'] }, 'c', false],
    [{ type: 'object', required: ['kind'], properties: { kind: { const: 'pg' } } }, { kind: 'pg' }, true],
    [{ type: 'object', required: ['kind'], properties: { kind: { const: 'pg' } } }, { kind: 'my' }, false],
    [{ type: 'object', required: ['kind'] }, {}, false],
    [{ anyOf: [{ type: 'string' }, { type: 'null' }] }, null, true],
    [{ not: { type: 'string' } }, 'x', false],
    [true, 1, true],
    [false, 1, false],
  ])('%j with %j', (s, d, want) => {
    expect(matches(s, d)).toBe(want);
  });
  it('follows local $refs', () => {
    const root = { $defs: { n: { type: 'number' } }, properties: { a: { $ref: '#/$defs/n' } } };
    expect(matches({ $ref: '#/$defs/n' }, 'x', root)).toBe(false);
    expect(matches(root, { a: 2 }, root)).toBe(true);
  });
  it('the validator never reports errors of its own', () => {
    expect(serverValidator.validateFormData()).toEqual({ errors: [], errorSchema: {} });
    expect(serverValidator.isValid({ type: 'string' }, 3, {})).toBe(false);
  });
});

describe('fieldOrder', () => {
  it('puts required fields first', () => {
    expect(fieldOrder(announce)).toEqual(['message', '*']);
    expect(fieldOrder({ required: ['b', 'zz', 'a'], properties: { a: {}, b: {} } })).toEqual(['b', 'a', '*']);
    expect(fieldOrder(undefined)).toEqual(['*']);
  });
});
