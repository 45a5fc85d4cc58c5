/**
 * Places panels on Grafana's 24-column grid left to right, wrapping to a new line when a panel
 * does not fit, so no two panels overlap and each gets a stable numeric id.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { PlaceablePanel } from './panels';

export const GRID_COLUMNS = 24;

type Item = { readonly kind: 'row'; readonly row: RowBuilder } | { readonly kind: 'panel'; readonly panel: PlaceablePanel };

export class Grid {
  private x = 0;
  private y = 0;
  private lineHeight = 0;
  private nextId = 1;
  private readonly items: Item[] = [];

  /** A full-width section header; the panels after it belong to it. */
  row(title: string): this {
    this.newLine();
    const row = new RowBuilder(title).collapsed(false).id(this.nextId++).gridPos({ x: 0, y: this.y, w: GRID_COLUMNS, h: 1 });
    this.items.push({ kind: 'row', row });
    this.y += 1;
    return this;
  }

  /** Places a panel `w` columns wide and `h` units high. */
  add(panel: PlaceablePanel, w: number, h: number): this {
    if (!Number.isInteger(w) || w < 1 || w > GRID_COLUMNS) throw new Error(`panel width ${w} must be a whole number from 1 to ${GRID_COLUMNS}`);
    if (!Number.isInteger(h) || h < 1) throw new Error(`panel height ${h} must be a whole number from 1 up`);
    if (this.x + w > GRID_COLUMNS) this.newLine();
    panel.gridPos({ x: this.x, y: this.y, w, h });
    panel.id(this.nextId++);
    this.items.push({ kind: 'panel', panel });
    this.x += w;
    this.lineHeight = Math.max(this.lineHeight, h);
    return this;
  }

  /** Panels sharing one line equally (24 / n columns each). */
  line(panels: readonly PlaceablePanel[], h: number): this {
    if (panels.length === 0) return this;
    this.newLine();
    const w = Math.floor(GRID_COLUMNS / panels.length);
    for (const p of panels) this.add(p, w, h);
    return this;
  }

  /** Adds every placed row and panel to the dashboard, in order. */
  applyTo(dashboard: DashboardBuilder): void {
    for (const item of this.items) {
      if (item.kind === 'row') dashboard.withRow(item.row);
      else dashboard.withPanel(item.panel);
    }
  }

  private newLine(): void {
    if (this.x === 0) return;
    this.x = 0;
    this.y += this.lineHeight;
    this.lineHeight = 0;
  }
}
