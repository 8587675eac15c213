import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { TelephonyInstruction } from '../../simulator/connector-client';

/*
 * The telephony side of a gateway, faked for the simulator's unit tests: instructions go out over a real
 * graphql-ws socket (the public schema), while each test answers the HTTP operations in process.
 */

/** The instruction stream every subscriber of a fake gateway hears. */
export class InstructionStream {
  private readonly listeners = new Set<(instruction: TelephonyInstruction) => void>();

  /** One subscriber's stream (what the `telephonyInstructions` resolver returns). */
  async *subscribe(): AsyncGenerator<{ telephonyInstructions: TelephonyInstruction }> {
    const queue: TelephonyInstruction[] = [];
    let wake: (() => void) | null = null;
    const listener = (instruction: TelephonyInstruction): void => {
      queue.push(instruction);
      wake?.();
    };
    this.listeners.add(listener);
    try {
      for (;;) {
        while (queue.length) yield { telephonyInstructions: queue.shift()! };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.listeners.delete(listener);
    }
  }

  /** Sends an instruction to every subscriber; fields left out are null. */
  send(fields: Pick<TelephonyInstruction, 'instructionId' | 'kind' | 'callId'> & Partial<TelephonyInstruction>): void {
    const instruction: TelephonyInstruction = { seq: 0, attemptId: null, agentId: null, destinationId: null, number: null, ringTimeoutSec: null, message: null, endReason: null, context: null, ...fields } as TelephonyInstruction;
    for (const listener of this.listeners) listener(instruction);
  }
}

/** A JSON answer to a GraphQL request over HTTP. */
export const jsonResponse = (body: unknown): Response => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

/** A GraphQL request as the simulator sends it: the operation's name and its `input` variable. */
export function operationOf(init: { body: string }): { operation: string; input: Record<string, string> } {
  const { query, variables } = JSON.parse(init.body) as { query: string; variables: { input: Record<string, string> } };
  return { operation: /^(?:mutation|query) (\w+)/.exec(query)![1]!, input: variables.input };
}

/** A graphql-ws server on a free port serving `stream` as `telephonyInstructions`; its GraphQL URL and how to close it. */
export async function instructionServer(stream: InstructionStream): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
  const cleanup = useServer({ schema, roots: { subscription: { telephonyInstructions: () => stream.subscribe() } } }, server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: async () => {
      await cleanup.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
