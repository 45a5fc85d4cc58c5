import { DuplicateKeyError, parseStrictJson } from './strict-json';

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses', () => {
    const text = '{"a":1,"b":[true,null,"x\\"y",{"c":-1.5e3}],"d":{}}';
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });

  it('refuses a key given twice, at any depth', () => {
    expect(() => parseStrictJson('{"level":"info","msg":"started","level":"OPTIMAL"}')).toThrow(DuplicateKeyError);
    expect(() => parseStrictJson('{"a":{"b":1,"b":2}}')).toThrow('duplicate key "b"');
    expect(() => parseStrictJson('{"a":1} x')).toThrow(SyntaxError);
  });
});
