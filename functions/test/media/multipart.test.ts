// The shared multipart reader, fed both ways: from the request stream (tests, scripts) and from
// `req.rawBody` (Cloud Functions and its emulator have already read the body).
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { errorHandler, requestId } from '../../src/http/middleware.js';
import { readMultipart, type MultipartLimits } from '../../src/http/multipart.js';
import { expectEnvelope } from '../support/context.js';

/** What Cloud Functions does before the app sees a request. */
const bufferBody: RequestHandler = (req, _res, next) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    req.rawBody = Buffer.concat(chunks);
    next();
  });
};

function appWith(limits: MultipartLimits, rawBody: boolean) {
  const app = express();
  app.use(requestId);
  if (rawBody) app.use(bufferBody);
  app.post('/upload', async (req, res, next) => {
    try {
      const form = await readMultipart(req, limits);
      res.json({ fields: form.fields, files: form.files.map((f) => ({ field: f.field, fileName: f.fileName, mimeType: f.mimeType, text: f.data.toString('utf8') })) });
    } catch (err) {
      next(err);
    }
  });
  app.use(errorHandler);
  return app;
}

for (const rawBody of [false, true]) {
  describe(`readMultipart from ${rawBody ? 'req.rawBody' : 'the request stream'}`, () => {
    const app = appWith({ maxFileBytes: 10, maxFields: 3, maxFieldBytes: 8 }, rawBody);

    it('returns fields (repeated ones as arrays) and the file, without any client path in its name', async () => {
      const res = await request(app)
        .post('/upload')
        .field('task_id', 'ep01')
        .field('tags', 'a')
        .field('tags', 'b')
        .attach('file', Buffer.from('0123456789'), { filename: 'C:\\renders\\beauty.png', contentType: 'image/png' })
        .expect(200);
      expect(res.body).toEqual({
        fields: { task_id: 'ep01', tags: ['a', 'b'] },
        files: [{ field: 'file', fileName: 'beauty.png', mimeType: 'image/png', text: '0123456789' }],
      });
    });

    it('accepts a file of exactly maxFileBytes and refuses one byte more with 413', async () => {
      await request(app).post('/upload').attach('file', Buffer.alloc(10, 65), 'a.png').expect(200);
      const res = await request(app).post('/upload').attach('file', Buffer.alloc(11, 65), 'a.png').expect(413);
      expect(expectEnvelope(res.body, 'PAYLOAD_TOO_LARGE').message).toBe('File a.png is larger than the 10-byte limit');
    });

    it('refuses an over-long field and too many fields with 400', async () => {
      await request(app).post('/upload').field('note', '12345678').expect(200);
      const long = await request(app).post('/upload').field('note', '123456789').expect(400);
      expect(expectEnvelope(long.body, 'VALIDATION_ERROR').message).toBe('Form field note is longer than 8 bytes');
      const many = await request(app).post('/upload').field('a', '1').field('b', '2').field('c', '3').field('d', '4').expect(400);
      expect(expectEnvelope(many.body, 'VALIDATION_ERROR').message).toBe('At most 3 form fields may be sent');
    });

    it('refuses a body that is not multipart, and one without a boundary, with 400', async () => {
      const json = await request(app).post('/upload').send({ a: 1 }).expect(400);
      expect(expectEnvelope(json.body, 'VALIDATION_ERROR').message).toBe('Request body must be multipart/form-data');
      const noBoundary = await request(app).post('/upload').set('Content-Type', 'multipart/form-data').send('x').expect(400);
      expect(expectEnvelope(noBoundary.body, 'VALIDATION_ERROR').message).toBe('Malformed multipart request: Multipart: Boundary not found');
    });
  });
}
