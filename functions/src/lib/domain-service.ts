// What every project-scoped domain service starts from: the app's dependencies, the app's one
// AccessControl (built once in createApp), and the projects its permission checks refer to.
import type { AccessControl } from '../auth/access.js';
import type { AppDeps } from '../config/deps.js';
import { ProjectStore } from '../projects/store.js';

export abstract class DomainService {
  protected readonly projects: ProjectStore;

  constructor(
    protected readonly deps: AppDeps,
    protected readonly access: AccessControl,
  ) {
    this.projects = new ProjectStore(deps.db);
  }
}
