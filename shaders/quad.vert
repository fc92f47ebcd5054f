#version 330 core
// A textured rectangle drawn from gl_VertexID alone (no vertex buffer).
// rect = (left, bottom, right, top) in normalized device coordinates.
uniform vec4 rect;
out vec2 uv;

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    // Image rows start at the top, OpenGL's at the bottom.
    uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(mix(rect.xy, rect.zw, corner), 0.0, 1.0);
}
