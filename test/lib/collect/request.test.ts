import { expect } from 'chai';
import { CollectInputError, requestFromMessage, settingsFromConfig } from '../../../lib/collect/request.js';

describe("sf-collect's settings and messages: Read and msg.payload.full", () => {
  const base = { object: 'Account', mode: 'all', depth: '1', children: 'Contacts' };

  it('reads everything for a flow saved without the setting, what changed when asked, and names a bad value', () => {
    expect(settingsFromConfig(base).settings.read).to.equal('full');
    expect(settingsFromConfig({ ...base, read: 'changes' })).to.deep.include({ problems: [] });
    expect(settingsFromConfig({ ...base, read: 'changes' }).settings.read).to.equal('changes');
    expect(settingsFromConfig({ ...base, read: 'sometimes' }).problems).to.deep.equal(["Read must be changes or full, not 'sometimes'"]);
  });

  it('takes msg.payload.full as true or false only, and lists it among the properties a payload may have', () => {
    const { settings } = settingsFromConfig({ ...base, read: 'changes' });
    expect(requestFromMessage(settings, { payload: { full: true } })).to.deep.include({ full: true, preview: false });
    expect(requestFromMessage(settings, { payload: 1733400000000 }).full).to.equal(false);
    expect(requestFromMessage(settings, { payload: { full: true } }).request).to.deep.include({ rootObject: 'Account', all: true });
    expect(() => requestFromMessage(settings, { payload: { full: 'yes' } })).to.throw(CollectInputError, "msg.payload.full must be true or false, got 'yes'");
    expect(() => requestFromMessage(settings, { payload: { fulll: true } })).to.throw(CollectInputError, /unknown property 'fulll'; use .*preview, full$/);
  });
});
