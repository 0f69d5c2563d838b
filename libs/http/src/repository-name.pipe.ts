import { Injectable, type PipeTransform } from '@nestjs/common';
import { isRepositoryName, NameInvalidError } from '@tidemark/oci';

/** Validates the `<name>` path parameter against the spec's repository name grammar. */
@Injectable()
export class RepositoryNamePipe implements PipeTransform<string, string> {
  transform(name: string): string {
    if (!isRepositoryName(name)) {
      throw new NameInvalidError({ name });
    }
    return name;
  }
}
