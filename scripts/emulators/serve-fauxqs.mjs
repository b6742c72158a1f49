// Starts fauxqs (SQS + S3 emulator) on 127.0.0.1 only: its CLI hard-codes 0.0.0.0
// (environment.md §6). Usage: FAUXQS_PORT=4566 node serve-fauxqs.mjs
import { buildApp } from "fauxqs";
// Not exported by the package: imported by path so that the conditional-write check sees the store.
import { S3Store } from "./node_modules/fauxqs/dist/s3/s3Store.js";
import { addConditionalWrites } from "./s3-conditional-writes.mjs";

const s3Store = new S3Store();
const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true", stores: { s3Store } });
addConditionalWrites(app, s3Store);
await app.listen({ port: parseInt(process.env.FAUXQS_PORT ?? "4566", 10), host: "127.0.0.1" });
process.stdout.write(`fauxqs listening on 127.0.0.1:${process.env.FAUXQS_PORT ?? "4566"}\n`);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => app.close().then(() => process.exit(0)));
