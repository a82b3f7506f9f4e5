/** Where every function runs (deploy-time options of each one). */
export const REGION = 'us-central1';
