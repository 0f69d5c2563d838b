import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { BlobLocator } from './blobs/blob-locator';
import { CancelUploadHandler } from './commands/cancel-upload.handler';
import { CompleteUploadHandler } from './commands/complete-upload.handler';
import { DeleteBlobHandler } from './commands/delete-blob.handler';
import { StartUploadHandler } from './commands/start-upload.handler';
import { WriteChunkHandler } from './commands/write-chunk.handler';
import { BlobsController } from './http/blobs.controller';
import { UploadsController } from './http/uploads.controller';
import { GetBlobHandler } from './queries/get-blob.handler';
import { GetUploadStatusHandler } from './queries/get-upload-status.handler';
import { BlobCommitter } from './uploads/blob-committer';
import { UploadWriter } from './uploads/upload-writer';

/**
 * The blob-ingest app: upload sessions, mounts, and blob reads and deletes. Writes bytes to
 * storage and blob events to Postgres. Expects the Database, State and Storage modules.
 */
@Module({
  imports: [CqrsModule],
  controllers: [UploadsController, BlobsController],
  providers: [
    UploadWriter,
    BlobCommitter,
    BlobLocator,
    StartUploadHandler,
    WriteChunkHandler,
    CompleteUploadHandler,
    CancelUploadHandler,
    DeleteBlobHandler,
    GetBlobHandler,
    GetUploadStatusHandler,
  ],
})
export class BlobIngestModule {}
