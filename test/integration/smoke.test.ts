import { dialects } from '../support/dialects';
import { createDestination, provisionCompany } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

describe.each(dialects())('a gateway on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(() => t.close());

  it('provisions a company whose administrator can define and list a destination', async () => {
    const company = await provisionCompany(t, 'smoke');
    await createDestination(t, company.adminToken, { name: 'Partner' });
    const data = await t.ok(`{ externalDestinations { totalCount nodes { name number } } }`, {}, company.adminToken);
    expect(data.externalDestinations).toEqual({ totalCount: 1, nodes: [{ name: 'Partner', number: '+442079460958' }] });
  });
});
