// Starts fauxqs (SQS + S3 emulator). Its CLI always binds 0.0.0.0; this wrapper takes the address from
// FAUXQS_HOST (default 127.0.0.1, as on the development machines; the container sets 0.0.0.0, reachable
// only on the compose network) and the port from FAUXQS_PORT (default 4566).
import { buildApp } from "fauxqs";

const host = process.env.FAUXQS_HOST ?? "127.0.0.1";
const port = parseInt(process.env.FAUXQS_PORT ?? "4566", 10);
const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true" });
await app.listen({ port, host });
process.stdout.write(`fauxqs listening on ${host}:${port}\n`);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => app.close().then(() => process.exit(0)));
