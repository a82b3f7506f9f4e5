// The spec's four "Complete Workflow Examples", written as the spec writes them, with this client
// as `apiClient` and Firestore listeners where the spec opens WebSockets, on the served stack.
// UI pieces (progress bars, players, forms) are stand-ins that record what they are given.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MontuClient, type Task } from '../src/index.js';
import { Collaboration, subscribe } from '../src/realtime.js';
import { png } from './support/png.js';
import { createUser, loggedIn, newEmail, newEpisode, studioAdmin, unique, webApp } from './support/stack.js';

const soon = { timeout: 15_000, interval: 100 };
let admin: MontuClient;

beforeAll(async () => {
  admin = await studioAdmin();
});

describe('1. Project Creation Workflow', () => {
  it('creates the project, sets up user permissions and plans the directory structure', async () => {
    const suffix = unique('').toLowerCase();
    const artist1 = await createUser(newEmail('artist1'), { uid: `artist1${suffix}` });
    const supervisor1 = await createUser(newEmail('supervisor1'), { uid: `supervisor1${suffix}` });
    const apiClient = admin;

    // The spec's createNewProject(), its project id made unique for this run.
    async function createNewProject() {
      // Step 1: Create project
      const projectData = {
        id: unique('NEW_PROJ'),
        name: 'New VFX Project',
        description: 'Latest VFX project',
        drive_mapping: { working_files: 'V:', render_outputs: 'W:', media_files: 'E:', cache_files: 'E:', backup_files: 'E:' },
        path_segments: { middle_path: 'all/scene', version_dir: 'version', work_dir: 'work', publish_dir: 'publish', cache_dir: 'cache' },
        templates: {
          working_file: '{drive_working}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/{filename}',
          render_output: '{drive_render}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/v{version}/',
          media_file: '{drive_media}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/v{version}/media/',
        },
        filename_patterns: {
          maya_scene: '{episode}_{sequence_clean}_{shot_clean}_{task}_master_v{version}.ma',
          nuke_script: '{episode}_{sequence_clean}_{shot_clean}_{task}_master_v{version}.nk',
        },
        task_types: ['modeling', 'rigging', 'animation', 'lighting', 'comp'],
        milestones: ['not_started', 'in_progress', 'completed'],
        priority_levels: ['low', 'medium', 'high', 'urgent'],
      };
      const project = await apiClient.createProject(projectData);

      // Step 2: Set up user permissions
      const members = await apiClient.addProjectUsers(project.id, [
        { user_id: artist1, permissions: ['read', 'write'] },
        { user_id: supervisor1, permissions: ['read', 'write', 'admin'] },
      ]);

      // Step 3: Create initial directory structure
      const directories = await apiClient.createDirectoryStructure(project.id, {
        episodes: ['ep01', 'ep02'],
        sequences: ['sq010', 'sq020', 'sq030'],
        task_types: project.task_types,
      });
      return { project, members, directories };
    }

    const { project, members, directories } = await createNewProject();
    expect(project).toMatchObject({ name: 'New VFX Project', task_types: ['modeling', 'rigging', 'animation', 'lighting', 'comp'] });
    expect(members.added.map((m) => [m.user_id, m.permissions])).toEqual([
      [artist1, ['read', 'write']],
      [supervisor1, expect.arrayContaining(['read', 'write', 'admin'])], // admins also get review
    ]);
    expect(members.errors).toEqual([]);
    expect(directories.directory_count).toBeGreaterThan(0);
    expect(directories.directories).toContainEqual(expect.stringContaining('ep02/sq030'));
  });
});

describe('2. CSV Task Import Workflow', () => {
  it('validates, previews, imports in the background with progress, and the listener hears the import complete', async () => {
    const apiClient = admin;
    const projectId = (await admin.createProject({ id: unique('CSV'), name: 'CSV import' })).id;
    const episode = newEpisode();
    const rows = Array.from({ length: 12 }, (_, i) => `${episode},sq0010,sh${String((i + 1) * 10).padStart(4, '0')},comp`);
    const file = new File([['Episode,Sequence,Shot,Task', ...rows].join('\n') + '\n'], 'shots.csv', { type: 'text/csv' });

    const ui = { validationErrors: null as unknown, preview: null as unknown, progress: [] as number[], results: null as unknown, error: null as unknown };
    const showValidationErrors = (errors: unknown) => (ui.validationErrors = errors);
    const showImportPreview = async (preview: unknown) => ((ui.preview = preview), true);
    const updateProgressBar = (percent: number) => ui.progress.push(percent);
    const showImportResults = (results: unknown) => (ui.results = results);
    const showImportError = (error: unknown) => (ui.error = error);
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));

    // The spec's importTasksFromCSV(), verbatim but for `done`, which tells the test the interval stopped.
    async function importTasksFromCSV(file: File, projectId: string) {
      // Step 1: Validate CSV format
      const validationResult = await apiClient.validateCSV(file, projectId);
      if (validationResult.errors.length > 0) {
        showValidationErrors(validationResult.errors);
        return;
      }
      // Step 2: Preview import
      const preview = await apiClient.previewCSVImport(file, projectId);
      const userConfirmed = await showImportPreview(preview);
      if (!userConfirmed) return;
      // Step 3: Import with progress tracking
      const importJob = await apiClient.importCSV(file, projectId);
      // Track progress
      const progressInterval = setInterval(async () => {
        const status = await apiClient.getImportStatus(importJob.id);
        updateProgressBar(status.progress_percent);
        if (status.status === 'completed') {
          clearInterval(progressInterval);
          showImportResults(status.results);
          finished();
        } else if (status.status === 'failed') {
          clearInterval(progressInterval);
          showImportError(status.error);
          finished();
        }
      }, 1000);
      return importJob;
    }

    const web = await webApp(await adminEmail());
    const collaboration = new Collaboration(web.db);
    await collaboration.initializeCollaboration(projectId);
    const completed: unknown[] = [];
    collaboration.onImportCompleted((data) => completed.push(data));
    try {
      const job = await importTasksFromCSV(file, projectId);
      expect(job?.id).toEqual(expect.any(String));
      await done;
      expect(ui.validationErrors).toBeNull();
      expect(ui.error).toBeNull();
      expect((ui.preview as { preview: unknown[]; valid_tasks: number }).valid_tasks).toBe(12);
      expect(ui.progress.at(-1)).toBe(100);
      expect(ui.results).toMatchObject({ total_rows: 12, created_tasks: 12 });
      await vi.waitFor(() => expect(completed).toMatchObject([{ job_id: job!.id, created_tasks: 12, error_count: 0 }]), soon);
      expect((await apiClient.getTasks({ project_id: projectId })).total).toBe(12);
    } finally {
      collaboration.close();
      await web.close();
    }
  });
});

/** The studio admin's email, for the web SDK's sign-in. */
let adminAddress: string | undefined;
async function adminEmail(): Promise<string> {
  adminAddress ??= (await admin.me()).email!;
  return adminAddress;
}

describe('3. Media Review Workflow', () => {
  let projectId: string;
  let artist: MontuClient;
  let supervisor: MontuClient;
  let supervisorEmail: string;

  beforeAll(async () => {
    projectId = (await admin.createProject({ id: unique('REVIEW'), name: 'Review' })).id;
    const artistEmail = newEmail('artist');
    supervisorEmail = newEmail('supervisor');
    await createUser(artistEmail);
    await createUser(supervisorEmail);
    await admin.addProjectUsers(projectId, [
      { email: artistEmail, permissions: ['read', 'write'] },
      { email: supervisorEmail, permissions: ['read', 'write', 'admin'] },
    ]);
    artist = await loggedIn(artistEmail);
    supervisor = await loggedIn(supervisorEmail);
  });

  /** An artist's render up for review: the task pending review, the image uploaded. */
  async function submitted(): Promise<{ task: Task; mediaId: string }> {
    const task = await artist.createTask({ project_id: projectId, episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' });
    await artist.updateTask(task.id, { status: 'pending_review' });
    const media = await artist.uploadMedia(new File([png(1920, 1080)], 'comp_v001.png', { type: 'image/png' }), task.id);
    return { task, mediaId: media.id };
  }

  /** The spec's reviewMediaWorkflow(), with the player and the form as stand-ins the test drives. */
  async function reviewMediaWorkflow(apiClient: MontuClient, mediaId: string, currentUser: { id: string }) {
    // Step 1: Load media with metadata
    const media = await apiClient.getMedia(mediaId);
    const task = await apiClient.getTask(media.linked_task_id!);
    // Step 2: Load existing annotations
    const annotations = await apiClient.getAnnotations({ media_id: mediaId });
    // Step 3: Display media player with annotations
    const mediaPlayer = { src: media.storage_url, thumbnail: media.thumbnail_key, annotations, onAnnotationCreated: null as null | ((a: { type: 'note'; content: string; position: { x: number; y: number; width: number; height: number }; timestamp: number }) => Promise<unknown>) };
    // Step 4: Handle new annotations
    mediaPlayer.onAnnotationCreated = async (annotation) => {
      const newAnnotation = await apiClient.createAnnotation({ media_id: mediaId, annotation_type: annotation.type, content: annotation.content, position: annotation.position, timestamp: annotation.timestamp });
      // Broadcast to other reviewers: the annotation_created feed message does it (see workflow 4).
      return newAnnotation;
    };
    // Step 5: Handle approval/rejection
    const approvalForm = {
      onApprove: async (notes: string) => {
        await apiClient.approveMedia(mediaId, { approval_status: 'approved', reviewer: currentUser.id, review_notes: notes });
        // Update task status if needed
        if (task.status === 'pending_review') await apiClient.updateTask(task.id, { status: 'approved' });
      },
      onReject: async (notes: string) => {
        await apiClient.approveMedia(mediaId, { approval_status: 'rejected', reviewer: currentUser.id, review_notes: notes });
        // Update task status
        await apiClient.updateTask(task.id, { status: 'needs_revision' });
      },
    };
    return { mediaPlayer, approvalForm, task, annotations };
  }

  it('loads the media, its task and annotations, and approves: the task follows', async () => {
    const { task, mediaId } = await submitted();
    const { approvalForm, annotations, mediaPlayer } = await reviewMediaWorkflow(supervisor, mediaId, { id: supervisor.currentSession!.user_id });
    expect(annotations.items).toEqual([]);
    expect(mediaPlayer.src).toEqual(expect.any(String));
    await approvalForm.onApprove('Looks good, approved for final comp');
    expect(await supervisor.getMedia(mediaId)).toMatchObject({ approval_status: 'approved' });
    expect(await supervisor.getTask(task.id)).toMatchObject({ status: 'approved' });
  });

  it('rejects: the task needs revision', async () => {
    const { task, mediaId } = await submitted();
    const { approvalForm } = await reviewMediaWorkflow(supervisor, mediaId, { id: supervisor.currentSession!.user_id });
    await approvalForm.onReject('Shadows need adjustment');
    expect(await supervisor.getMedia(mediaId)).toMatchObject({ approval_status: 'rejected' });
    expect(await supervisor.getTask(task.id)).toMatchObject({ status: 'needs_revision' });
  });

  it("a reviewer's note with the spec's example body: a pixel position on the image uploaded a moment earlier", async () => {
    const { mediaId } = await submitted();
    const { mediaPlayer } = await reviewMediaWorkflow(supervisor, mediaId, { id: supervisor.currentSession!.user_id });
    // POST /annotations as the spec's example body has it.
    const created = await mediaPlayer.onAnnotationCreated!({ type: 'note', content: 'Color balance looks good, but shadows need adjustment', position: { x: 100, y: 200, width: 50, height: 30 }, timestamp: 1.5 });
    expect(created).toMatchObject({ media_id: mediaId, position: { x: 100, y: 200, width: 50, height: 30 } });
  });
});

describe('4. Real-Time Collaboration', () => {
  it("a collaborator's task, media and annotation changes reach the handlers, and the task list follows", async () => {
    const projectId = (await admin.createProject({ id: unique('LIVE'), name: 'Live' })).id;
    const watcherEmail = newEmail('watcher');
    const editorEmail = newEmail('editor');
    await createUser(watcherEmail);
    await createUser(editorEmail);
    await admin.addProjectUsers(projectId, [
      { email: watcherEmail, permissions: ['read'] },
      { email: editorEmail, permissions: ['read', 'write'] },
    ]);
    const editor = await loggedIn(editorEmail);
    const existing = await editor.createTask({ project_id: projectId, episode: newEpisode(), sequence: 'sq0010', shot: 'sh0010', task: 'comp' });

    // The watcher's front end: signed in with Firebase Auth, the REST client on the same user's tokens.
    const web = await webApp(watcherEmail);
    const apiClient = new MontuClient({ baseUrl: editor.baseUrl, tokenSource: web.user });
    const currentUser = { id: web.user.uid };
    const collaboration = new Collaboration(web.db);
    const notifications: string[] = [];
    const showNotification = (text: string) => notifications.push(text);
    const media: unknown[] = [];
    const annotations: unknown[] = [];
    const liveTasks: Record<string, unknown>[][] = [];
    // The TaskList component: its tasks from the API, then the spec's two onTaskUpdated handlers.
    let tasks = (await apiClient.getTasks({ project_id: projectId })).items as Task[];
    const stopDocuments = subscribe(web.db, `/ws/tasks/${projectId}`, { onDocuments: (records) => liveTasks.push(records) });
    try {
      await collaboration.initializeCollaboration(projectId);
      collaboration.onTaskUpdated((data) => {
        tasks = tasks.map((task) => (task.id === data.task_id ? { ...task, ...data.changes } : task));
      });
      collaboration.onTaskUpdated((data) => {
        if (data.user !== currentUser.id) showNotification(`Task ${data.task_id} updated by ${data.user}`);
      });
      collaboration.onMediaUploaded((data) => media.push(data.media));
      collaboration.onAnnotationCreated((data) => annotations.push(data.annotation));

      const editorId = editor.currentSession!.user_id;
      await editor.updateTask(existing.id, { status: 'in_progress', artist: 'editor' });
      const uploaded = await editor.uploadMedia(new File([png(64, 36)], 'comp_v001.png', { type: 'image/png' }), existing.id);
      const note = await editor.createAnnotation({ media_id: uploaded.id, annotation_type: 'note', content: 'Check the edge', position: { x: 10, y: 5, width: 20, height: 10 } });

      await vi.waitFor(() => {
        expect(tasks.find((t) => t.id === existing.id)).toMatchObject({ status: 'in_progress', artist: 'editor' });
        expect(notifications).toEqual([`Task ${existing.id} updated by ${editorId}`]);
        expect(media).toMatchObject([{ id: uploaded.id, linked_task_id: existing.id }]);
        expect(annotations).toMatchObject([{ id: note.id, media_id: uploaded.id, content: 'Check the edge' }]);
        expect(liveTasks.at(-1)).toMatchObject([{ id: existing.id, status: 'in_progress' }]);
      }, soon);
      // The REST client ran on the web user's Firebase tokens.
      expect((await apiClient.me()).user_id).toBe(currentUser.id);
    } finally {
      stopDocuments();
      collaboration.close();
      await web.close();
    }
  });
});

