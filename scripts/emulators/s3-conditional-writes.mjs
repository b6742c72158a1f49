// S3's conditional writes (PutObject with If-None-Match: * or If-Match: <ETag>, AWS S3 since 2024),
// which fauxqs 1.9.2 accepts and ignores: the persistent user storage fences its object writes with
// them (docs/serverless.md, "Several appliers of one batch"), so the emulator must refuse as S3 does.
// Node runs one request's hook and handler without another request's in between, so the check and
// the write are atomic here as they are in S3.
import { S3Error } from "./node_modules/fauxqs/dist/common/errors.js";

export function addConditionalWrites(app, s3Store) {
  app.addHook("preHandler", (request, reply, done) => {
    const ifMatch = request.headers["if-match"];
    const ifNoneMatch = request.headers["if-none-match"];
    const bucket = request.params?.bucket;
    const key = request.params?.["*"];
    if (request.method !== "PUT" || (ifMatch === undefined && ifNoneMatch === undefined) || !bucket || !key
      || request.headers["x-amz-copy-source"] || (request.query ?? {})["uploadId"]) {
      done();
      return;
    }
    const existing = s3Store.buckets.get(bucket)?.get(key);
    let error;
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() === "*" && existing) {
      error = new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, `/${bucket}/${key}`);
    } else if (ifMatch !== undefined && !existing) {
      error = new S3Error("NoSuchKey", "The specified key does not exist.", 404, `/${bucket}/${key}`);
    } else if (ifMatch !== undefined && unquote(ifMatch) !== unquote(existing.etag)) {
      error = new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412, `/${bucket}/${key}`);
    }
    if (error) {
      reply.header("content-type", "application/xml");
      reply.status(error.statusCode).send(error.toXml());
      return;
    }
    done();
  });
}

function unquote(etag) {
  return etag.trim().replace(/^"(.*)"$/, "$1");
}
