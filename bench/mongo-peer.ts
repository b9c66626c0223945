/** The embedded store in a process of its own (MongoDB is its own server in production). */
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';

const mongo = await startEmbeddedMongo();
process.on('message', (m: { op: string }) => {
  if (m.op === 'stop') void mongo.stop().then(() => process.exit(0));
});
process.send!({ op: 'ready', mongoUri: mongo.uri });
