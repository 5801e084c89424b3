import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import Components from 'unplugin-vue-components/vite';
import { defineConfig } from 'vite';

/*
 * The console: served by the server at /console from dist/console. Element Plus components are
 * imported on demand (the resolver adds each used component and its CSS), so the first load carries
 * only what the sign-in and jobs screens use; charts, records and import load with their routes.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
    reportCompressedSize: true,
  },
  server: { proxy: { '/console/api': 'http://127.0.0.1:8060' } },
});
